"""The reflect page (a file, so st.navigation and AppTest.switch_page can address it)."""

from views.reflect import render

render()
