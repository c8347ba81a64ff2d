package main

const baseline = "INSERT INTO main.persons SELECT * FROM staging"
