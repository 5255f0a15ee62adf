
def process_trial(): pass
