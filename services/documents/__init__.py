"""Official documents (公文): the shipped templates, rendering them into .docx (and PDF), and the
use cases that issue, store, list and send them."""
