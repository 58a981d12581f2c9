"""The QA review app (Streamlit): `callqa app`, or `streamlit run qa_app/app.py` with CALLQA_DB set."""
