# Makes the `shop` package importable when pytest runs from this folder.
