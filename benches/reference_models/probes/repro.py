import sys, time
import numpy as np
from lib import *
for cut in sys.argv[1:] or ['2011-02-09']:
    t=time.time()
    s = test_split(cut); E = s.eval_users
    X = plain_X(s)
    W = ease_W(X, 350.0)
    raw = (s.B[E] @ W)
    r_plain = ev(s, raw)
    T = text_sim(s); F = prior(s, E)
    r_ship = ev(s, shipped(s, E, raw, T, F))
    r_knn = ev(s, user_knn50(s))
    print(cut, s.ni, len(E), 'plain %.4f shipped %.4f uknn50 %.4f  (%.0fs)' % (r_plain['ndcg'], r_ship['ndcg'], r_knn['ndcg'], time.time()-t), flush=True)
