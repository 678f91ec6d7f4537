# Makes the `books` package importable when pytest runs from this folder.
