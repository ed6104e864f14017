"""``python -m vidseek``."""

from vidseek.cli import main

main()
