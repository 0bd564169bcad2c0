"""File sync between a project folder and its folder on the VM (built-in rsync engine, Mutagen)."""
