"""Qt-free presentation: what the tray shows, as data (rows of the menu)."""
