"""Stage 1 (01_train): a generated French/English corpus, the seq2seq model's training, its evaluation, export and
figures."""
from helpers.train.corpus import SEED_SENTENCE, Pair, french_word_forms, generate_pairs
from helpers.train.datasets import Splits, split_pairs
from helpers.train.evaluation import Scores, compare_runtimes, sample_table, score, translator_from_training
from helpers.train.export import export_model
from helpers.train.train_plots import plot_attention, plot_losses
from helpers.train.training import TrainConfig, TrainResult, pick_device, train

__all__ = ["SEED_SENTENCE", "Pair", "french_word_forms", "generate_pairs", "Splits", "split_pairs", "Scores",
           "compare_runtimes", "sample_table", "score", "translator_from_training", "export_model", "plot_attention",
           "plot_losses", "TrainConfig", "TrainResult", "pick_device", "train"]
