# Makes the `pets` package importable when pytest runs from this folder.
