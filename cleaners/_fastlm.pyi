# Types of the compiled module cleaners/_fastlm.pyx (for mypy; the module itself is optional).
import numpy as np

def charlm_p3(
    texts: list[str],
    starts: list[int],
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
) -> tuple[np.ndarray, np.ndarray]: ...
def sums(lp: np.ndarray, counts: np.ndarray) -> list[float]: ...
def word_routes(
    windows: list[str],
    keys: np.ndarray,
    freq: np.ndarray,
    maxlen: int,
    cost_freqs: np.ndarray,
    costs: np.ndarray,
    single: float,
    one_at: np.ndarray,
    two_start: np.ndarray,
    three_start: np.ndarray,
) -> list[float]: ...
def word_freqs(words: list[str], keys: np.ndarray, freq: np.ndarray) -> list[int]: ...
