"""This laptop: start at login, the single-instance lock, logs, bundle paths, tool lookup."""
