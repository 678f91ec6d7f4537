"""The leak scanner: the walk over items, detectors, canary registries, findings, scan()."""
