"""The local review step between the nightly draft and publication: state, web app, publish, Markdown
parser."""
