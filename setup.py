"""Optional compiled accelerators; everything else is declared in pyproject.toml.

Each extension is ``optional``: where no C compiler is available, ``pip install .`` still
succeeds and fusionbench uses its pure-Python code, which gives identical results.
"""

from setuptools import Extension, setup

setup(
    ext_modules=[
        # CodeBLEU's data-flow walk (issue #14); bit-exact with dataflow.data_flow
        Extension(
            "fusionbench.metrics.codebleu._flowaccel",
            ["fusionbench/metrics/codebleu/_flowaccel.c"],
            optional=True,
        ),
    ],
)
