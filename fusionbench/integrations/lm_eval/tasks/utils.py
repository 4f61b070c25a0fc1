"""lm-eval loads this file by path for the ``!function utils.*`` entries of the task YAMLs.

Everything lives in :mod:`fusionbench.integrations.lm_eval.pack`; this file only names it.
"""

from fusionbench.integrations.lm_eval.pack import *  # noqa: F401,F403
from fusionbench.integrations.lm_eval.pack import (  # noqa: F401
    agg_acc, agg_acc_en, agg_acc_ru, agg_codebleu, agg_dataflow_match, agg_exec_acc, agg_f1, agg_f1_en, agg_f1_ru,
    agg_ngram_match, agg_parsed, agg_precision, agg_recall, agg_syntax_match, agg_weighted_ngram_match,
    doc_to_image, doc_to_target, doc_to_text, load_c2c, load_htr, load_vqa, load_zsod, process_results,
    process_results_exec,
)
