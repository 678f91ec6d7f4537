# Makes the `notes` package importable when pytest runs from this folder.
