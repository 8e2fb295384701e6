"""Aimak Atlas analysis and data package.

Everything in here is plain Python over (Geo)DataFrames: no Streamlit imports,
so it can be tested and used headless (``python -m geo``).
"""
