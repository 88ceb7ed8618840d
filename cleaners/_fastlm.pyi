# Types of the compiled module cleaners/_fastlm.pyx (for mypy; the module itself is optional).
import numpy as np

class CharModel:
    def __init__(
        self,
        uni_k: np.ndarray,
        uni_c: np.ndarray,
        uni_t: np.ndarray,
        uni_n: np.ndarray,
        bi_k: np.ndarray,
        bi_c: np.ndarray,
        bi_t: np.ndarray,
        bi_n: np.ndarray,
        tri_k: np.ndarray,
        tri_c: np.ndarray,
        denom: float,
        uni_at: np.ndarray,
        bi_start: np.ndarray,
        tri_start: np.ndarray,
    ) -> None: ...
    def p3_texts(self, texts: list[str], starts: list[int]) -> tuple[np.ndarray, np.ndarray]: ...
    def bigram_counts(self, pairs: list[str]) -> list[int]: ...

class WordModel:
    def __init__(
        self,
        keys: np.ndarray,
        freq: np.ndarray,
        maxlen: int,
        cost_freqs: np.ndarray,
        costs: np.ndarray,
        single: float,
        one_at: np.ndarray,
        two_start: np.ndarray,
        three_start: np.ndarray,
    ) -> None: ...
    def routes(self, windows: list[str]) -> list[float]: ...
    def freqs(self, words: list[str]) -> list[int]: ...

def sums(lp: np.ndarray, counts: np.ndarray) -> list[float]: ...
def candidate_p3(
    cm: CharModel, texts: list[str], at: list[int], lens: list[int], forms: list[tuple[str, ...]]
) -> tuple[np.ndarray, np.ndarray]: ...
def candidate_scores(
    wm: WordModel,
    lp: np.ndarray,
    counts: np.ndarray,
    texts: list[str],
    at: list[int],
    lens: list[int],
    forms: list[tuple[str, ...]],
) -> list[float]: ...
