print("certdoctor")
