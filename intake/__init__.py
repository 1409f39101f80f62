"""intake: email-driven intake and routing for the Procura+ Network's Interest Groups."""
