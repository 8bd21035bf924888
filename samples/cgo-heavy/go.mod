module example.com/cgoheavy

go 1.27
