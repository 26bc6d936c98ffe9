"""skill_train: the bundled DINO-style trainer, evaluation and retrieval for skill_aug policies."""

__version__ = "0.1.0"
