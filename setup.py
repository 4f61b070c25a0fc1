"""Optional compiled accelerators; everything else is declared in pyproject.toml.

Each extension is ``optional``: where no C compiler is available, ``pip install .`` still
succeeds and fusionbench uses its pure-Python code, which gives identical results
(``FUSIONBENCH_PURE_PYTHON=1`` forces that code where the accelerators are built).
"""

from setuptools import Extension, setup

setup(
    ext_modules=[
        # CodeBLEU's n-gram statistics (issue #14); identical to ngram.ngram_stats
        Extension(
            "fusionbench.metrics.codebleu._speedups",
            ["fusionbench/metrics/codebleu/_speedups.c"],
            optional=True,
        ),
        # CodeBLEU's data-flow walk and syntax cut (issue #14); identical to dataflow.data_flow
        # and syntax.subtree_sexps_fast
        Extension(
            "fusionbench.metrics.codebleu._flowaccel",
            ["fusionbench/metrics/codebleu/_flowaccel.c"],
            optional=True,
        ),
    ],
)
