"""``datasets`` builders, one module per config; see :func:`fusionbench.data.load_dataset`."""
