"""Cell values stacked on the shipped candidate with its popularity exponent γ freed (idf in the
Gram already discounts popular items): gram × γ chosen on the window. res/combo_CUT_PART.pkl."""
import sys, pickle, time
import numpy as np
from lib import *
import ideas
CUTS = ['2011-02-09', '2011-03-09', '2011-04-09', '2011-06-09', '2011-09-09', '2011-11-09']
fns = dict(ideas.cell_values())
for cut in sys.argv[1:] or CUTS:
    for part, mk in (('val', lambda: val_split(cut)), ('test', lambda: test_split(cut))):
        t0 = time.time()
        s = mk(); E = s.eval_users
        W0 = ease_W(plain_X(s), 350.0)
        ctx = dict(s=s, E=E, W0=W0, base=np.asarray(s.B[E] @ W0))
        T = text_sim(s)
        Fs = {g: prior(s, E, pop_exp=g) for g in (-0.1, 0.0)}
        out = {}
        for gram in ['binary', 'sqrt_inv', 'tfidf:binary:user', 'tfidf:log1p_inv:user']:
            raw, _ = fns[f'gram={gram} profile=binary'](ctx)
            for g, F in Fs.items():
                r = ev(s, blend(s, E, raw, T, 0.25) * F)
                lab = 'off' if (gram, g) == ('binary', -0.1) else f'gram={gram} gamma={g}'
                out[lab] = dict(plain=r['ndcg'], shipped=r['ndcg'], cov=r['cov'], each_plain=r['each'].astype(np.float32),
                                each_shipped=r['each'].astype(np.float32))
        pickle.dump(out, open(f'res/combo_{cut}_{part}.pkl', 'wb'))
        print(cut, part, '%.0fs' % (time.time() - t0), flush=True)
