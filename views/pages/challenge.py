"""The challenge page (a file, so st.navigation and AppTest.switch_page can address it)."""

from views.challenge import render

render()
