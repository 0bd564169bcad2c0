"""Everything that runs a child process or talks SSH: config, tunnels, sync, IDE launchers."""
