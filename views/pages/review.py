"""The review page (a file, so st.navigation and AppTest.switch_page can address it)."""

from views.review import render

render()
