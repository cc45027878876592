"""Streamlit pages. They render and dispatch; everything they show comes from coach/."""
