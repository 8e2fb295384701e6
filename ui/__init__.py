"""Thin Streamlit pages. They call geo/ and layers/ and hold no analysis."""
