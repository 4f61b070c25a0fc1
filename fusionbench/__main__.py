"""``python -m fusionbench``: a shim to the command line."""

from fusionbench.cli import entry_point

if __name__ == "__main__":
    entry_point()
