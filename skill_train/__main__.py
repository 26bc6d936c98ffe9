"""``python -m skill_train`` runs the ``skill`` command (torchrun uses this)."""

from skill_train.cli import main

main()
