"""Turning store frames into folium map layers (no Streamlit imports)."""
