"""Reference models at every monthly cutoff, by the protocol of `kindred evaluate`.

    ~/.venvs/bench/bin/pip install numpy scipy pandas implicit
    python benches/reference_models/refs.py [CUTOFF ...]   # default: 2011-05-09 … 2011-11-09

Prints NDCG / precision / coverage @10 per model and cutoff: popularity, user-kNN 10 and 50
(binary cosine, summed similarity), item-kNN (binary cosine, all neighbours), SAR (Jaccard,
14-day time-decayed affinity over purchase lines), implicit ALS (64 factors, 15 iterations,
seed 42, binary matrix).
"""
import sys, time
from common import CUTOFFS, split, rank_and_eval, fmt
from models import pop, user_knn, item_knn, sar, als

REFS = {
    'popularity': pop,
    'user-kNN 10': lambda s: user_knn(s, 10),
    'user-kNN 50': lambda s: user_knn(s, 50),
    'item-kNN': lambda s: item_knn(s, None),
    'SAR 14 d': lambda s: sar(s, 14.0),
    'ALS': lambda s: als(s, weighting='binary'),
}

if __name__ == '__main__':
    for cutoff in sys.argv[1:] or CUTOFFS:
        s = split(cutoff)
        for name, model in REFS.items():
            t = time.time()
            r = rank_and_eval(s, model(s))
            print(f"{cutoff}  {name:<12} {fmt(r)}  ({r['n']} customers, {time.time() - t:.1f} s)", flush=True)
