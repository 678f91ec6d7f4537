# Makes the `checkout` package importable when pytest runs from this folder.
