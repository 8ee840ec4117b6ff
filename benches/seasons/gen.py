"""Planted seasonal shops for kindred (deterministic: each shape has its own seed).

usage: python gen.py [SHAPE ...]      (no argument: every shape)

Each shape writes <shape>/export.csv (purchases before the cutoff, Online Retail columns),
<shape>/future.parquet (customer, item, date: the 30 days from the cutoff) and
<shape>/pipeline.toml (the conventions of the earlier planted-shop scripts), plus <shape>/meta.json.
"""
import os, sys, json
import numpy as np, pandas as pd

# shapes are written to and read from $SEASONS_DIR (default /tmp/kindred-seasons)
ROOT = os.environ.get("SEASONS_DIR", "/tmp/kindred-seasons")
os.makedirs(ROOT, exist_ok=True)
DAY = pd.Timedelta(days=1)
NCUST = 4000

PIPE = '''[input]
path = "{path}"

[columns]
customer = "CustomerID"
item = "StockCode"
quantity = "Quantity"
description = "Description"
date = "InvoiceDate"

[model]
kind = "auto"
ease_lambda = 350
similarity_half_life_days = 90
description_weight = 0.25
neighbours = 20

[recommend]
per_customer = 10
never_recommend = ["POST", "DOT", "M", "C2", "BANK CHARGES"]
popularity_exponent = -0.1
last_sale_exponent = -0.25
exposure_exponent = -0.5
opportunity_exponent = -0.25

[select]
window_days = 30
min_customers = 200
candidates = ["popularity", "item_knn", "user_knn", "ease"]

[output]
dir = "{out}"
compression = "snappy"
'''

WORDS = ['RED', 'BLUE', 'GREEN', 'WHITE', 'PINK', 'VINTAGE', 'SMALL', 'LARGE', 'HEART', 'STAR', 'RETRO', 'GLASS']


# ---------------------------------------------------------------- helpers (after plant_c/gen.py)
def zipf_p(n, s=1.0, rng=None):
    p = 1.0 / np.arange(1, n + 1) ** s
    p /= p.sum()
    if rng is not None:
        p = p[rng.permutation(n)]
    return p


def rand_dates(rng, n, start, end):
    start, end = pd.Timestamp(start), pd.Timestamp(end)
    sec = rng.uniform(0, (end - start).total_seconds(), n)
    return start + pd.to_timedelta(np.floor(sec), unit='s')


def names(n, pre):
    return np.array(['%s%05d' % (pre, i) for i in range(n)])


def plain_desc(items, rng, theme='THING'):
    return {it: ' '.join(rng.choice(WORDS, 2)) + ' ' + theme + ' ' + it for it in items}


def orders(rng, ncust, start, end, rate_per_year, sigma=0.7, join_share=0.4):
    """One row per order (customer, date). Customer rates log-normal; join_share of the
    customers are there from `start`, the others join at a uniform date (never leave)."""
    start, end = pd.Timestamp(start), pd.Timestamp(end)
    span = (end - start).total_seconds()
    join = np.where(rng.random(ncust) < join_share, 0.0, rng.uniform(0, span, ncust))
    lam = rate_per_year * np.exp(rng.normal(-sigma ** 2 / 2, sigma, ncust)) * (span - join) / (365.25 * 86400)
    k = rng.poisson(lam)
    ci = np.repeat(np.arange(ncust), k)
    sec = join[ci] + rng.uniform(0, 1, len(ci)) * (span - join[ci])
    d = start + pd.to_timedelta(np.floor(sec), unit='s')
    o = pd.DataFrame({'customer': ci + 10001, 'date': d})
    return o.sort_values(['date', 'customer'], kind='stable').reset_index(drop=True)


def basket(rng, o, items, p, per_order, min_one=True):
    """Poisson(per_order-1)+1 items per order (Poisson(per_order) when not min_one)."""
    n = rng.poisson(per_order - 1, len(o)) + 1 if min_one else rng.poisson(per_order, len(o))
    idx = np.repeat(np.arange(len(o)), n)
    it = rng.choice(len(items), len(idx), p=p)
    ev = o.iloc[idx][['customer', 'date']].reset_index(drop=True)
    ev['item'] = items[it]
    return ev


def in_window(dates, m1, d1, m2, d2):
    """dates within [m1/d1, m2/d2] (inclusive days) of their own year."""
    md = dates.dt.month * 100 + dates.dt.day
    return ((md >= m1 * 100 + d1) & (md <= m2 * 100 + d2)).values


def write_shape(name, ev, desc, cutoff, meta, future_days=30):
    d = os.path.join(ROOT, name)
    os.makedirs(d, exist_ok=True)
    cutoff = pd.Timestamp(cutoff)
    ev = ev.sort_values(['date', 'customer', 'item'], kind='stable')
    exp = ev[ev.date < cutoff]
    fut = ev[(ev.date >= cutoff) & (ev.date < cutoff + future_days * DAY)]
    out = pd.DataFrame({'CustomerID': exp.customer.astype('int64').values,
                        'StockCode': exp['item'].values,
                        'Quantity': np.ones(len(exp), 'int64'),
                        'Description': exp['item'].map(desc).values,
                        'InvoiceDate': exp.date.dt.strftime('%Y-%m-%d %H:%M:%S').values})
    out.to_csv(os.path.join(d, 'export.csv'), index=False)
    fut[['customer', 'item', 'date']].reset_index(drop=True).to_parquet(os.path.join(d, 'future.parquet'))
    with open(os.path.join(d, 'pipeline.toml'), 'w') as f:
        f.write(PIPE.format(path='export.csv', out='out'))
    first = pd.Timestamp(out.InvoiceDate.min())
    meta = dict(meta, shape=name, cutoff=str(cutoff.date()), future_days=future_days,
                first_date=out.InvoiceDate.min(), last_date=out.InvoiceDate.max(),
                history_years=round((cutoff - first).days / 365.25, 2),
                export_rows=len(out), customers=int(out.CustomerID.nunique()),
                items=int(out.StockCode.nunique()), future_rows=len(fut))
    with open(os.path.join(d, 'meta.json'), 'w') as f:
        json.dump(meta, f, indent=1)
    print(name, json.dumps({k: meta[k] for k in ('cutoff', 'history_years', 'export_rows', 'customers',
                                                  'items', 'future_rows')}))


# ---------------------------------------------------------------- seasonal shops
def seasonal_shop(seed, start, end, nseason, pre, theme, window, rate=8, season_items_per_order=2.0,
                  season_order_share=1.0, reg_in_season=1.0, nreg=300):
    """300 regular zipf items all year (3 per order); inside the yearly `window` (m1,d1,m2,d2) a
    share of orders holds `season_items_per_order` seasonal items (zipf) and `reg_in_season`
    regular ones. The same seasonal items every year."""
    rng = np.random.default_rng(seed)
    reg = names(nreg, 'R')
    sea = names(nseason, pre)
    o = orders(rng, NCUST, start, end, rate)
    ins = in_window(o.date, *window) & (rng.random(len(o)) < season_order_share)
    preg = zipf_p(nreg, 1.0, rng)
    psea = zipf_p(nseason, 1.0, rng)
    e1 = basket(rng, o[~ins], reg, preg, 3)
    e2 = basket(rng, o[ins], reg, preg, reg_in_season, min_one=False)
    e3 = basket(rng, o[ins], sea, psea, season_items_per_order)
    ev = pd.concat([e1, e2, e3], ignore_index=True)
    desc = plain_desc(reg, rng)
    desc.update(plain_desc(sea, rng, theme))
    return ev, desc


CHRISTMAS = dict(seed=101, start='2021-07-01', end='2025-01-15', nseason=50, pre='X', theme='CHRISTMAS',
                 window=(11, 1, 12, 31))


def christmas(name, cutoff, note):
    ev, desc = seasonal_shop(**CHRISTMAS)
    write_shape(name, ev, desc, cutoff, dict(note=note, season='50 X items, Nov 1 - Dec 31 every year',
                                             seed=CHRISTMAS['seed']))


def shape_christmas_nov():
    christmas('christmas_nov', '2024-11-01', 'positive: the season starts the day after the cutoff, the window before is quiet')


def shape_christmas_mid():
    christmas('christmas_mid', '2024-11-20', 'positive/easy: the season has run 19 days at the cutoff')


def shape_christmas_jul():
    christmas('christmas_jul', '2024-07-01', 'neutral: no season in the next 30 days; a fix must change nothing useful')


def shape_summer():
    ev, desc = seasonal_shop(seed=102, start='2021-05-01', end='2024-07-01', nseason=40, pre='G', theme='GARDEN',
                             window=(5, 15, 8, 31), season_items_per_order=1.5, reg_in_season=1.5)
    write_shape('summer', ev, desc, '2024-05-14',
                dict(note='positive: garden season starts May 15, one day after the first future day',
                     season='40 G items, May 15 - Aug 31 every year', seed=102))


def shape_short_valentine():
    ev, desc = seasonal_shop(seed=103, start='2022-01-01', end='2025-03-15', nseason=20, pre='V', theme='VALENTINE',
                             window=(2, 1, 2, 14), season_items_per_order=1.5, season_order_share=0.7)
    write_shape('short_valentine', ev, desc, '2025-01-31',
                dict(note='positive, short: 14 days of season inside the 30; cutoff-364 d = 2024-02-02 (leap year) misses Feb 1',
                     season='20 V items, Feb 1 - Feb 14 every year (70% of orders)', seed=103))


def shape_trend3y():
    rng = np.random.default_rng(104)
    n = 400
    items = names(n, 'T')
    start, cutoff = pd.Timestamp('2021-12-01'), pd.Timestamp('2024-12-01')
    o = orders(rng, NCUST, start, '2025-01-01', 8)
    peak = rand_dates(rng, n, '2021-10-01', '2025-03-01')
    width = 45 * 86400
    base = rng.lognormal(0, 0.5, n)
    o['week'] = (o.date - start).dt.days // 7
    evs = []
    for w, g in o.groupby('week'):
        t = start + pd.Timedelta(days=7 * w + 3.5)
        wt = base * np.exp(-((t - peak).total_seconds().values) ** 2 / (2 * width ** 2)) + 0.002
        evs.append(basket(rng, g, items, wt / wt.sum(), 3))
    ev = pd.concat(evs, ignore_index=True)
    write_shape('trend3y', ev, plain_desc(items, rng), cutoff,
                dict(note='negative: every item peaks once (gaussian, sd 45 d) at a random date 2021-10 .. 2025-03; '
                          'last year\'s same weeks are wrong', seed=104))


def shape_stable3y():
    rng = np.random.default_rng(105)
    npairs = 250
    A, B, N = names(npairs, 'A'), names(npairs, 'B'), names(100, 'N')
    start, end = '2021-12-01', '2025-01-01'
    o = orders(rng, NCUST, start, end, 8)
    pa = zipf_p(npairs, 1.0, rng)
    ev = basket(rng, o, A, pa, 2)
    f = ev[rng.random(len(ev)) < 0.7].copy()
    f['item'] = 'B' + f['item'].str[1:]
    f['date'] = f['date'] + pd.to_timedelta(rng.uniform(0, 45 * 86400, len(f)).astype(int), unit='s')
    noise = basket(rng, o, N, zipf_p(len(N), 1.0, rng), 1)
    ev = pd.concat([ev, f, noise], ignore_index=True)
    ev = ev[ev.date < pd.Timestamp(end)]
    desc = plain_desc(np.concatenate([A, B, N]), rng)
    write_shape('stable3y', ev, desc, '2024-12-01',
                dict(note='negative: stable zipf over 3 years; 70% of A purchases followed by partner B within 0-45 d; '
                          'co-purchase models should keep winning', seed=105))


def moved(name, seed, new_window, cutoff, note):
    """seasonal items S1 (40, HALLOWEEN) sold Oct 1 - Nov 30 in 2022 and 2023; in 2024 S1 is gone
    and a new catalogue S2 (40, HALLOWEEN) sells in new_window (m1, d1, m2, d2) of 2024."""
    rng = np.random.default_rng(seed)
    reg, s1, s2 = names(300, 'R'), names(40, 'H'), names(40, 'K')
    o = orders(rng, NCUST, '2022-01-01', '2025-01-01', 8)
    y24 = (o.date.dt.year == 2024).values
    in1 = in_window(o.date, 10, 1, 11, 30) & ~y24
    in2 = in_window(o.date, *new_window) & y24
    ins = in1 | in2
    preg = zipf_p(300, 1.0, rng)
    ps1, ps2 = zipf_p(40, 1.0, rng), zipf_p(40, 1.0, rng)
    ev = pd.concat([basket(rng, o[~ins], reg, preg, 3),
                    basket(rng, o[ins], reg, preg, 1.0, min_one=False),
                    basket(rng, o[in1], s1, ps1, 2),
                    basket(rng, o[in2], s2, ps2, 2)], ignore_index=True)
    desc = plain_desc(reg, rng)
    desc.update(plain_desc(s1, rng, 'HALLOWEEN'))
    desc.update(plain_desc(s2, rng, 'HALLOWEEN'))
    write_shape(name, ev, desc, cutoff, dict(note=note, seed=seed,
                                             season='H items Oct 1 - Nov 30 2022 and 2023; 2024: H gone, K items %s' % (new_window,)))


def shape_moved_season():
    moved('moved_season', 106, (9, 10, 11, 10), '2024-10-01',
          'negative: last year\'s same weeks say H items, but 2024\'s season moved to Sep 10 with a new catalogue K '
          '(3 weeks of K before the cutoff)')


def shape_moved_late():
    moved('moved_late', 107, (11, 1, 12, 31), '2024-10-01',
          'negative (extra): last year\'s same weeks say H items; 2024\'s new K catalogue only starts Nov 1, '
          'after the 30 future days: nothing seasonal to buy')


SHAPES = ['christmas_nov', 'christmas_mid', 'christmas_jul', 'summer', 'short_valentine', 'trend3y', 'stable3y',
          'moved_season', 'moved_late']

if __name__ == '__main__':
    for s in (sys.argv[1:] or SHAPES):
        globals()['shape_' + s]()
