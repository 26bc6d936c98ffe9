"""What a run is: its configuration (``TrainConfig``, the presets), its folder (``RunDir`` owns
every file name in it), its checkpoint, its exported backbone and its log."""
