"""The shipped candidate's own knobs chosen on the window: description weight w and the popularity
exponent γ (README: a Rust helper found γ 0 better on the test, +1.9% mean; here chosen on the
window per cutoff). res/knobs_CUT_PART.pkl in run.py's format (mode 'shipped' meaningful only)."""
import sys, os, pickle, time
import numpy as np
from lib import *
CUTS = ['2011-02-09', '2011-03-09', '2011-04-09', '2011-06-09', '2011-09-09', '2011-11-09']
for cut in sys.argv[1:] or CUTS:
    for part, mk in (('val', lambda: val_split(cut)), ('test', lambda: test_split(cut))):
        t0 = time.time()
        s = mk(); E = s.eval_users
        raw = np.asarray(s.B[E] @ ease_W(plain_X(s), 350.0))
        T = text_sim(s)
        out = {}
        for g in [-0.1, 0.0, -0.2]:
            F = prior(s, E, pop_exp=g)
            for w in [0.25, 0.15, 0.35]:
                b = blend(s, E, raw, T, w) * F
                r = ev(s, b)
                lab = 'off' if (g, w) == (-0.1, 0.25) else f'gamma={g} w={w}'
                out[lab] = dict(plain=r['ndcg'], shipped=r['ndcg'], cov=r['cov'], each_plain=r['each'].astype(np.float32),
                                each_shipped=r['each'].astype(np.float32))
        pickle.dump(out, open(f'res/knobs_{cut}_{part}.pkl', 'wb'))
        print(cut, part, '%.0fs' % (time.time() - t0), flush=True)
