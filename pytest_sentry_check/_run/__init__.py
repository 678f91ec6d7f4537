"""One pytest run: settings, run state, each test's steps, the run's end, fixtures, messages."""
