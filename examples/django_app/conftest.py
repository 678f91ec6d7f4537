# Makes the `site_app` package importable when pytest runs from this folder.
