module { name = "folder" }
