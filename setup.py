"""Build script for the optional compiled part; all metadata lives in pyproject.toml.

The only compiled module, ``fusionbench.metrics.codebleu._speedups`` (CodeBLEU's n-gram
statistics), is optional: without a working C compiler setuptools warns and installs the
package without it, and ``fusionbench`` uses its pure-Python code, which gives identical results.
"""

from setuptools import Extension, setup

setup(
    ext_modules=[
        Extension(
            "fusionbench.metrics.codebleu._speedups",
            ["fusionbench/metrics/codebleu/_speedups.c"],
            optional=True,
        )
    ]
)
