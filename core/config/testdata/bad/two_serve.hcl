serve {
}

serve {
}
