using SecondServer.Worker;

return await WorkerApp.Build(args).RunServiceAsync();
