"""Stage 1 (01_train): a generated French/English corpus (pyRealB), the seq2seq model's training, its evaluation,
export and figures."""
from helpers.train.corpus import (KINDS, SEED_SENTENCE, Pair, coverage, dev_set, french_word_forms, generate_pairs,
                                  heldout_set)
from helpers.train.data_source import DataSource, load_data
from helpers.train.datasets import Splits, split_pairs
from helpers.train.evaluation import (DevScores, Scores, compare_runtimes, dev_table, sample_table, score, score_dev,
                                      translator_from_training)
from helpers.train.export import export_model
from helpers.train.train_plots import plot_attention, plot_losses
from helpers.train.training import TrainConfig, TrainResult, pick_device, train

__all__ = ["KINDS", "SEED_SENTENCE", "Pair", "coverage", "dev_set", "french_word_forms", "generate_pairs",
           "heldout_set", "DataSource", "load_data", "Splits", "split_pairs", "DevScores", "Scores",
           "compare_runtimes", "dev_table", "sample_table", "score", "score_dev", "translator_from_training",
           "export_model", "plot_attention", "plot_losses", "TrainConfig", "TrainResult", "pick_device", "train"]
