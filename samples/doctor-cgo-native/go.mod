module example.com/doctor/cgonative

go 1.22
