"""The QA review app (Streamlit): `callqa app`, or `streamlit run qa_app/app.py` with CALLQA_DB set.

It only draws and calls the use cases (usecases/) and storage/; app.py is the entry page, views/ the pages."""

__all__ = [
    "auth",
    "coaching",
    "data",
    "downloads",
    "links",
    "mdtext",
    "periods",
    "player",
    "player_controls",
    "queue_nav",
    "queue_params",
    "ui",
]
