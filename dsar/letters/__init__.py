"""What the letters of the rights other than access say: labels in the person's language and
the views the mail templates are rendered from. Pure: the activity reads the case store."""
