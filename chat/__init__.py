"""Chat: sessions, their messages, and the endpoint that runs the model/tool loop."""
