"""``python -m skill_aug`` runs the ``skill-aug`` command."""

from skill_aug.cli import main

main()
